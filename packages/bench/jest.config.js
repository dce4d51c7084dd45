module.exports = { ...require('@sis/config/jest') };
