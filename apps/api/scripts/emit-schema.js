#!/usr/bin/env node
// Writes the GraphQL SDL generated from the resolvers to schema.graphql (run after a build; a test checks it is current).
require('reflect-metadata');
const fs = require('node:fs');
const path = require('node:path');
const { printSchema } = require('graphql');
const { buildApiSchema } = require('../dist/server');

buildApiSchema().then((schema) => {
  const file = path.join(__dirname, '..', 'schema.graphql');
  fs.writeFileSync(file, `${printSchema(schema)}\n`);
  console.log(`wrote ${file}`);
});
