/** The status page at `/` (a single page; views are addressed by `#/…`) and its assets. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Master } from '../master';
import { PageAssets } from './page-assets';
import { HttpError } from './errors';

export function registerPageRoutes(app: FastifyInstance, m: Master, assets = new PageAssets()): void {
  assets.warm();
  const serve = (name: string) => async (_req: unknown, reply: FastifyReply) => {
    let file;
    try {
      file = await assets.get(name);
    } catch (e) {
      m.log.error({ err: e }, 'status page unavailable');
      throw new HttpError(503, `status page unavailable: ${(e as Error).message}`);
    }
    if (!file) throw new HttpError(404, `no page asset '${name}'`);
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  };
  app.get('/', serve('index.html'));
  app.get('/index.html', serve('index.html'));
  app.get('/app.js', serve('app.js'));
  app.get('/style.css', serve('style.css'));
  app.get('/favicon.svg', serve('favicon.svg'));
}
