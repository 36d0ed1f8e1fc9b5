module.exports = { ...require('../../jest.preset.js'), displayName: 'saliency-net', rootDir: __dirname };
