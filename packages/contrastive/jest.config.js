module.exports = { ...require('../../jest.preset.js'), displayName: 'contrastive', rootDir: __dirname };
