import type { Command } from '../command.js';

/** One line of `tidemark --help`, and how to load the command when it runs. */
export interface CommandEntry {
  name: string;
  summary: string;
  /** Imports the command's module (and with it its dependencies) only when it runs. */
  load(): Promise<Command>;
}

/**
 * Every `tidemark` command. Add a command: write its module and list it here. Each module is
 * imported only when its command runs, so `tidemark --help` loads none of them and `tidemark log`
 * does not pay for SaxonJS, libxmljs2 or fastify (docs/operations.md, "Start-up").
 */
export const COMMANDS: CommandEntry[] = [
  { name: 'init', summary: 'Create or migrate the database, create the first admin, print this instance uuid', load: async () => (await import('./init.js')).initCommand },
  { name: 'user', summary: 'Add, list and remove people who sign in, set their role and password', load: async () => (await import('./user.js')).userCommand },
  { name: 'token', summary: 'API tokens for programs: create (shown once), list, revoke', load: async () => (await import('./user.js')).tokenCommand },
  { name: 'partner', summary: 'Partners who push standard documents to /inbound: add (token shown once), list, revoke', load: async () => (await import('./partner.js')).partnerCommand },
  { name: 'publish', summary: 'Serve feeds or resources without sign-in (feed:FORMAT, s3xml:RESOURCE); --remove, no argument lists', load: async () => (await import('./user.js')).publishCommand },
  { name: 'serve', summary: 'Run the HTTP service (and the sync daemon) until stopped', load: async () => (await import('./serve.js')).serveCommand },
  { name: 'peer', summary: 'Pair with other instances, list, configure and remove peers and clusters', load: async () => (await import('./peer/index.js')).peerCommand },
  { name: 'sync', summary: 'Sync now with one peer or all peers (pull then push); non-zero exit on failure', load: async () => (await import('./sync.js')).syncCommand },
  { name: 'conflicts', summary: 'List, show and reverse the decisions taken on conflicting changes', load: async () => (await import('./conflicts.js')).conflictsCommand },
  { name: 'record', summary: "A record's kept versions, where each came from and what changed; how many versions are kept", load: async () => (await import('./record.js')).recordCommand },
  { name: 'log', summary: 'Show the sync log, newest first', load: async () => (await import('./log.js')).logCommand },
  { name: 'purge', summary: 'Remove tombstones that every known peer has acknowledged', load: async () => (await import('./purge.js')).purgeCommand },
  { name: 'samples', summary: 'Load the sample data set (hospitals, shelters, offices, CAP alerts); running it twice changes nothing', load: async () => (await import('./samples.js')).samplesCommand },
  { name: 'demo', summary: 'Create the database, load the samples, publish the sample feeds and serve them (what `npm start` runs)', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'discover', summary: 'List Tidemark instances found on the LAN (mDNS), or pair one: discover pair UUID', load: async () => (await import('./discover.js')).discoverCommand },
  { name: 'bundle', summary: 'Sync by file: export/import bundles (USB stick, e-mail), watch a carried folder', load: async () => (await import('./bundle/index.js')).bundleCommand },
  { name: 'export', summary: 'Write records as S3XML or S3JSON (stdout, or -o FILE)', load: async () => (await import('./export.js')).exportCommand },
  { name: 'import', summary: 'Import an S3XML or S3JSON document (FILE, or - for stdin): all or nothing unless --ignore-errors', load: async () => (await import('./import.js')).importCommand },
  { name: 'radio', summary: 'Sync with a peer over a packet-radio TNC (KISS over TCP), or estimate the air time: radio estimate', load: async () => (await import('./radio/index.js')).radioCommand },
  { name: 'formats', summary: 'List the interchange formats: name, media type, directions, schemas', load: async () => (await import('./interchange.js')).formatsCommand },
  { name: 'validate', summary: "Check a document against the project's schema (and the official ones with --schemas DIR)", load: async () => (await import('./interchange.js')).validateCommand },
  { name: 'sign', summary: 'Sign a CAP alert or an EDXL-DE 2.0 envelope (enveloped XML-DSig, RSA-SHA256 or ECDSA-SHA256)', load: async () => (await import('./interchange.js')).signCommand },
  { name: 'verify', summary: 'Verify a signed document against trusted partner certificates; prints the signer', load: async () => (await import('./interchange.js')).verifyCommand },
];
