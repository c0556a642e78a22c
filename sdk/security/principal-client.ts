/** The operator's side of the principal calls (sdk/protocol/principals.ts): `agora principal …` uses it. */
import type { CredentialsFile } from '../credentials';
import type { NatsConnection } from '../nats';
import type { PrincipalOpInput } from '../protocol/principals';
import { subjects } from '../protocol/subjects';
import { request } from '../rpc';

export interface PrincipalView { name: string; kind: string; roles: string[]; taskUsers: string[]; apis: string[]; createdAt: number; revokedAt?: number; users: number }

/** Sends one principal call as `caller` (the operator principal the connection authenticated as). */
export function principalCall<T extends object = { principals: PrincipalView[] } | { principal: PrincipalView; credentials?: CredentialsFile }>(
  nc: NatsConnection, caller: string, op: PrincipalOpInput,
): Promise<T> {
  return request<T>(nc, subjects.operatorCall(caller), op, { timeoutMs: 10_000 });
}
