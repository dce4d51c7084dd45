export { default } from '@sis/config/eslint';
