/**
 * The job API from the SDK. TEMPORARY indirection: until `sdk/index.ts` re-exports `./jobs` (the lead adds
 * `export * from './jobs'`), this file reaches it directly; afterwards it becomes `export * from 'agora/sdk'`
 * and the cron framework imports only the public SDK again.
 */
export * from '../../sdk/jobs';
