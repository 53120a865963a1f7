import { registerInterchangeFormats } from './records.js';

/**
 * Imported for its effect: adds the EDXL/CAP formats to the record-format table of src/s3xml, so
 * `tidemark export|import --format edxl-have|cap|edxl-de|edxl-de-1.0` find them. The CLI imports
 * this before the commands that read the table.
 */
registerInterchangeFormats();
