module.exports = { ...require('../../jest.preset.js'), displayName: 'engine-torch', rootDir: __dirname };
