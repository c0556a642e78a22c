/** A task's sandbox, read through its agent's file API: list, and read with offset/length (offset -1: the tail). */
import type { FastifyInstance } from 'fastify';
import { AgentIdSchema, ApiError, type FileEntry } from '../../sdk';
import type { Master } from '../master';
import { badRequest, notFound, HttpError } from './errors';

export function registerFileRoutes(app: FastifyInstance, m: Master): void {
  const taskOf = (id: string, framework?: string) => {
    const t = m.state.findTask(id, framework);
    if (!t) throw notFound(`no task '${id}'`);
    return t;
  };
  app.get<{ Params: { id: string }; Querystring: { framework?: string } }>('/api/v1/tasks/:id/files', async (req) => {
    const t = taskOf(req.params.id, req.query.framework);
    return agentCall<{ files: FileEntry[] }>(m, t.agentId, {
      type: 'FILES_LIST',
      frameworkId: t.frameworkId,
      taskId: t.info.taskId,
    });
  });
  app.get<{
    Params: { id: string };
    Querystring: { framework?: string; path?: string; offset?: string; length?: string };
  }>('/api/v1/tasks/:id/files/read', async (req) => {
    const t = taskOf(req.params.id, req.query.framework);
    const path = req.query.path ?? 'stdout';
    const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
    const length = req.query.length === undefined ? 65536 : Number(req.query.length);
    if (!Number.isInteger(offset) || offset < -1)
      throw badRequest(`offset: '${req.query.offset}' must be an integer ≥ 0, or -1 for the end`);
    if (!Number.isInteger(length) || length < 0 || length > 4 * 1024 * 1024)
      throw badRequest(`length: '${req.query.length}' must be an integer from 0 to 4194304`);
    return agentCall(m, t.agentId, {
      type: 'FILES_READ',
      frameworkId: t.frameworkId,
      taskId: t.info.taskId,
      path,
      offset,
      length,
    });
  });
}

async function agentCall<T extends object>(
  m: Master,
  agentId: string,
  cmd: Parameters<Master['sendToAgent']>[1],
): Promise<T> {
  try {
    const id = AgentIdSchema.safeParse(agentId);
    if (!id.success) throw notFound(`no agent '${agentId}'`);
    return await m.sendToAgent<T>(id.data, cmd);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'NOT_FOUND') throw notFound(e.message);
    if (e instanceof ApiError && e.code === 'INVALID') throw badRequest(e.message);
    if (e instanceof ApiError && e.code === 'FORBIDDEN') throw new HttpError(403, e.message); // a secret file
    throw new HttpError(502, `agent ${agentId} did not answer: ${(e as Error).message}`);
  }
}
