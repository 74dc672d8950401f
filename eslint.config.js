// ESLint (flat config) for borderscape's own browser code in borderscape/static/.
// Run from the repository root: npm ci && npx eslint borderscape/static
// map.js is a classic script (an IIFE inlined into a <script> element, not an ES module) that
// runs after Leaflet, which defines the global L.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["borderscape/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser, L: "readonly" },
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
];
