module.exports = { ...require('../../jest.preset.js'), displayName: 'saliency', rootDir: __dirname };
