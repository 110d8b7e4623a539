module.exports = require('pino');
