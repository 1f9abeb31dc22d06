import { systemClock, type Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import { SpaceportError } from '../protocol/errors.ts';
import { newId } from './ids.ts';
import type { Accepted, JobService } from './job-service.ts';
import { budgetKey, DEFAULT_BUDGETS, overBudget, type Budgets } from './budgets.ts';
import { checkMedia } from './media-signatures.ts';
import { checkInputs, maySubmit } from './space-rules.ts';
import type { Identity, Session, SessionImage } from './types.ts';

/** How long a session lives unless its creator says otherwise: the reconstruction document's hour. */
export const DEFAULT_SESSION_TTL_MS = 3600_000;

export interface SessionRequest {
  space: string;
  maxImages: number;
  options: Record<string, unknown>;
  ttlMs?: number;
}

/**
 * Sessions: inputs gathered over many messages, then sealed into ordinary jobs of their space.
 * A session is visible to its owner and admins only. Expired sessions count as gone (the sweeper deletes them and their images).
 */
export class SessionService {
  constructor(
    private readonly engine: Engine,
    private readonly jobs: JobService,
    private readonly budgets: Budgets = DEFAULT_BUDGETS,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(who: Identity, req: SessionRequest): Promise<Session> {
    const space = await this.jobs.requireSpace(req.space);
    if (!maySubmit(space, who)) throw new SpaceportError('unauthorized', `Space "${space.name}" accepts work only from signed-in users or API keys.`);
    const now = this.clock.now();
    const key = budgetKey(who);
    if (key !== null) {
      // Counted from the store every instance shares; two creates racing on two instances may both pass.
      const open = (await this.engine.listSessions()).filter((s) => s.expires_at > now && budgetKey(s.owner) === key).length;
      if (open >= this.budgets.sessions) throw overBudget('open sessions', this.budgets.sessions);
    }
    const session: Session = {
      id: newId('sess'),
      space_id: space.id,
      space: space.name,
      owner: who,
      status: 'open',
      created_at: now,
      expires_at: now + (req.ttlMs ?? DEFAULT_SESSION_TTL_MS),
      max_images: req.maxImages,
      options: req.options,
      images: [],
      generated_through: 0,
      job_ids: [],
    };
    await this.engine.createSession(session);
    return session;
  }

  async get(who: Identity, id: string): Promise<Session> {
    const session = await this.engine.getSession(id);
    if (!session || session.expires_at <= this.clock.now() || !maySeeSession(who, session)) throw new SpaceportError('session_not_found', `No session has id "${id}".`);
    return session;
  }

  async list(who: Identity): Promise<Session[]> {
    const now = this.clock.now();
    // Listing shows the caller's own sessions (admins: all); an anonymous caller, the ones it made.
    return (await this.engine.listSessions()).filter((s) => s.expires_at > now && (who.kind === 'admin' || s.owner.id === who.id));
  }

  /** Stores the image as a blob owned by the session and appends it; returns it with the new count. */
  async addImage(who: Identity, id: string, file: { name: string; mime: string; bytes: Buffer }): Promise<{ image: SessionImage; count: number }> {
    const session = await this.get(who, id);
    // Checked as it arrives, as a submit's files are — not only once the session is sealed into a job.
    const space = await this.jobs.requireSpace(session.space);
    checkInputs(space, undefined, [{ name: file.name, mime: file.mime, size: file.bytes.length, input: 'image' }]);
    checkMedia('image', file);
    const image: SessionImage = { blob: newId('blob'), name: file.name, mime: file.mime, size: file.bytes.length, added_at: this.clock.now() };
    await this.engine.putBlob({ id: image.blob, name: file.name, mime: file.mime, size: image.size, created_at: image.added_at, job_id: id }, file.bytes);
    const count = await this.engine.addSessionImage(id, image, this.clock.now());
    return { image, count };
  }

  /**
   * Seals the session's images into one job: all of them, or (incremental) only those added since
   * the last generate. The job's options carry the session's options plus `incremental`,
   * `session_id` and `first_image` (the index of its first image in the session).
   */
  async generate(who: Identity, id: string, incremental: boolean): Promise<Accepted> {
    const session = await this.get(who, id);
    if (session.status !== 'open') throw new SpaceportError('session_closed');
    const from = incremental ? session.generated_through : 0;
    const images = session.images.slice(from);
    if (images.length === 0) throw new SpaceportError('session_empty', incremental ? 'No images were added since the last generate.' : 'The session has no images yet.');
    const accepted = await this.jobs.submit(who, {
      space: session.space,
      options: { ...session.options, incremental, session_id: session.id, first_image: from },
      files: images.map((i) => ({ blob: i.blob, name: i.name, mime: i.mime, input: 'image' as const })),
    });
    await this.engine.updateSession(id, { generated_through: session.images.length, job_id: accepted.job.id });
    return accepted;
  }

  async finalize(who: Identity, id: string): Promise<Session> {
    await this.get(who, id);
    await this.engine.updateSession(id, { status: 'finalized' });
    return this.get(who, id);
  }

  async delete(who: Identity, id: string): Promise<void> {
    await this.get(who, id);
    await this.engine.deleteSession(id);
  }
}

/** A session is its creator's (and the admins'): anonymous callers are told apart (core/types.ts Identity). */
export function maySeeSession(who: Identity, session: Session): boolean {
  return who.kind === 'admin' || session.owner.id === who.id;
}
