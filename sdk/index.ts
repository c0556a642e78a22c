/**
 * agora/sdk — everything a framework author (or the CLI, or an operator tool) needs: the protocol's message
 * schemas and types, NATS subjects, the msgpack codec, resource arithmetic, request/reply helpers and the
 * SchedulerDriver. It depends on nothing else in this repository.
 *
 *   import { SchedulerDriver, Resources } from 'agora/sdk';
 *
 * See docs/protocol.md for the wire protocol this implements.
 */
export * from './protocol/common';
export * from './protocol/scheduler';
export * from './protocol/agent';
export * from './protocol/subjects';
export * from './protocol/operator';
export * from './codec';
export * from './errors';
export * from './resources';
export * from './rpc';
export * from './nats';
export * from './log';
export * from './clock';
export * from './driver/scheduler-driver';
export * from './update-consumer';
export * from './apps';
export * from './jobs';
export * from './duration';
export * from './process';
export * from './data-dir-lock';
export * from './credentials';
export * from './security/principals';
export * from './security/issuer';
export * from './security/principal-store';
export * from './security/home';
export * from './protocol/principals';
export * from './security/principal-client';
