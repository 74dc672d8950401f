// Stylelint for borderscape's own styles in borderscape/static/ (the map's and the briefing's).
// Run from the repository root: npm ci && npx stylelint "borderscape/static/**/*.css"
"use strict";

module.exports = {
  extends: ["stylelint-config-standard"],
  rules: {
    // The house layout is one rule per line (the styles are inlined into every map and briefing),
    // so these three layout-only rules of the standard config are off; all its other rules apply.
    "declaration-block-single-line-max-declarations": null,
    "rule-empty-line-before": null,
    "at-rule-empty-line-before": null,
    // Page sizes are written as CSS Paged Media spells them (A4, B5, JIS-B5).
    "value-keyword-case": ["lower", { ignoreProperties: ["size"] }],
  },
};
