import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { TidemarkError } from '../../errors.js';
import { listFormats } from '../../interchange/formats.js';
import { signDocument, TrustStore } from '../../interchange/signature.js';
import { verifySigned } from '../../interchange/signature-check.js';
import { validateText } from '../../interchange/validate.js';

/** `tidemark formats`, `validate`, `sign`, `verify`: thin shells over src/interchange. */

function readInput(file: string | undefined): string {
  if (!file) throw new TidemarkError('invalid', 'name the document (FILE, or - for stdin)');
  return readFileSync(file === '-' ? 0 : file, 'utf8');
}

function writeOutput(ctx: { stdout: NodeJS.WritableStream }, file: string | undefined, text: string): void {
  if (file && file !== '-') writeFileSync(file, text);
  else ctx.stdout.write(text);
}

export const formatsCommand: Command = {
  name: 'formats',
  usage: 'tidemark formats',
  async run(ctx) {
    for (const f of listFormats()) {
      const dirs = f.native ? 'export, import (native)' : f.content ? 'inside envelopes' : [f.export && 'export', (f.import || f.envelope) && 'import'].filter(Boolean).join(', ');
      const schemas = [f.schema?.project && `xsd/${f.schema.project}`, f.schema?.official && `official ${f.schema.official}`].filter(Boolean).join('; ');
      ctx.stdout.write(`${f.name.padEnd(15)} ${f.mediaType.padEnd(22)} ${dirs.padEnd(24)} ${f.title}${schemas ? ` [${schemas}]` : ''}\n`);
    }
  },
};

export const validateCommand: Command = {
  name: 'validate',
  usage: 'tidemark validate FILE|- [--schema FORMAT] [--schemas DIR]',
  options: { schema: { type: 'string' }, schemas: { type: 'string' } },
  allowPositionals: true,
  async run(ctx) {
    const v = validateText(readInput(ctx.positionals[0]), { format: str(ctx.values, 'schema'), schemasDir: str(ctx.values, 'schemas') });
    for (const { source, issues } of v.results) {
      for (const i of issues) ctx.stderr.write(`line ${i.line}${i.element ? `, <${i.element}>` : ''}: ${i.message}\n`);
      ctx.stdout.write(`${v.format.name}: ${issues.length ? `INVALID against the ${source} schema (${issues.length} problems)` : `valid against the ${source} schema`}\n`);
    }
    const failed = !v.valid;
    return failed ? 1 : 0;
  },
};

export const signCommand: Command = {
  name: 'sign',
  usage: 'tidemark sign --key KEY.pem --cert CERT.pem FILE|- [-o FILE]',
  options: { key: { type: 'string' }, cert: { type: 'string' }, output: { type: 'string', short: 'o' } },
  allowPositionals: true,
  async run(ctx) {
    const key = str(ctx.values, 'key');
    const cert = str(ctx.values, 'cert');
    if (!key || !cert) throw new TidemarkError('invalid', 'sign needs --key and --cert');
    const signed = signDocument(readInput(ctx.positionals[0]), { privateKey: readFileSync(key, 'utf8'), certificate: readFileSync(cert, 'utf8') });
    writeOutput(ctx, str(ctx.values, 'output'), signed);
  },
};

export const verifyCommand: Command = {
  name: 'verify',
  usage: 'tidemark verify --trust DIR|CERT.pem FILE|- [-o VERIFIED.xml]',
  options: { trust: { type: 'string' }, output: { type: 'string', short: 'o' } },
  allowPositionals: true,
  async run(ctx) {
    const trustPath = str(ctx.values, 'trust');
    if (!trustPath) throw new TidemarkError('invalid', 'verify needs --trust (a folder of certificates or one certificate)');
    const v = await verifySigned(readInput(ctx.positionals[0]), TrustStore.fromPath(trustPath));
    ctx.stderr.write(`signature valid: ${v.signer} (SHA-256 ${v.fingerprint})\n`);
    if (str(ctx.values, 'output')) writeOutput(ctx, str(ctx.values, 'output'), v.xml);
  },
};
