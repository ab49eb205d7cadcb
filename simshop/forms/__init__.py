"""WTForms classes, one module per area. Every validator carries an explicit, translatable
message, so field errors appear in the page's language."""
