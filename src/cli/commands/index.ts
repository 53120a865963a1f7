import type { Command } from '../command.js';
// Registers the EDXL/CAP formats with the record-format table before export/import read it.
import '../../interchange/register.js';
import { formatsCommand, validateCommand, signCommand, verifyCommand } from './interchange.js';
import { initCommand } from './init.js';
import { serveCommand } from './serve.js';
import { peerCommand } from './peer.js';
import { syncCommand } from './sync.js';
import { conflictsCommand } from './conflicts.js';
import { logCommand } from './log.js';
import { purgeCommand } from './purge.js';
import { samplesCommand } from './samples.js';
import { demoCommand } from './demo.js';
import { discoverCommand } from './discover.js';
import { bundleCommand } from './bundle.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { radioCommand } from './radio.js';

/** Every `tidemark` command. Add a command: write its module here and list it below. */
export const COMMANDS: Command[] = [
  initCommand,
  serveCommand,
  peerCommand,
  syncCommand,
  conflictsCommand,
  logCommand,
  purgeCommand,
  samplesCommand,
  demoCommand,
  discoverCommand,
  bundleCommand,
  exportCommand,
  importCommand,
  radioCommand,
  formatsCommand,
  validateCommand,
  signCommand,
  verifyCommand,
];
