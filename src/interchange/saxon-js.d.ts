/** The part of the SaxonJS 2 API that Tidemark uses (the package ships no type declarations). */
declare module 'saxon-js' {
  interface TransformOptions {
    stylesheetInternal?: unknown;
    stylesheetFileName?: string;
    sourceText?: string;
    sourceFileName?: string;
    destination?: 'serialized' | 'document' | 'raw';
    stylesheetParams?: Record<string, unknown>;
    initialTemplate?: string;
  }
  interface SaxonJSApi {
    transform(options: TransformOptions, mode: 'sync'): { principalResult: unknown };
    transform(options: TransformOptions, mode: 'async'): Promise<{ principalResult: unknown }>;
    getProcessorInfo(): Record<string, unknown>;
  }
  const SaxonJS: SaxonJSApi;
  export default SaxonJS;
}
