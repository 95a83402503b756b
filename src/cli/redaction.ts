import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { EventSink, OffsiteEvent } from '../core/events.js';
import { parseIni } from '../util/ini.js';

const MASK = '********';

/** Shorter values found in the environment would mask ordinary words (no real key or token is this short). */
const MIN_FOUND_SECRET_LENGTH = 8;

/** Variables whose values are secrets wherever they turn up again (an error echoing a header, a bad argument). */
const SECRET_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'OFFSITE_TRUECRYPT_PASSWORD'] as const;

/** Keys of the shared AWS files that hold secrets, in every profile (the one in use may come from the SDK's own choice). */
const SECRET_PROFILE_KEYS = ['aws_secret_access_key', 'aws_session_token', 'aws_security_token'] as const;

/**
 * The values a command must never show, and the masking of them: every line, event and result a command writes
 * passes through one of these (choosePresenter and the early-failure report make it). The plan or the run adds
 * its own secrets (a manifest's passwords, a Snowball unlock code) as they become known.
 */
export class Redaction {
  readonly #secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  add(secrets: Iterable<string>): void {
    for (const secret of secrets) if (secret.length > 0) this.#secrets.add(secret);
  }

  /** Every occurrence masked; longest first, so a secret containing another is masked whole. */
  text(text: string): string {
    let out = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
  }

  /** Every string inside a JSON-like value masked. */
  value<T>(value: T): T {
    if (this.#secrets.size === 0) return value;
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.value(item)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)])) as T;
    }
    return value;
  }

  /** A sink that lets no known secret through, whatever event carries it (errors from a service included). */
  sink(sink: EventSink): EventSink {
    return (event: OffsiteEvent) => sink(this.value(event));
  }
}

/**
 * The caller's secrets (the environment, the shared AWS files) and those the plan marks: a plan's secret is masked
 * whatever its length (a manifest's PIN is short, and showing it is worse than masking a number that equals it).
 */
export function commandRedaction(planSecrets: Iterable<string> = [], env: NodeJS.ProcessEnv = process.env): Redaction {
  const found = [...environmentSecrets(env), ...profileSecrets(env)].filter((secret) => secret.length >= MIN_FOUND_SECRET_LENGTH);
  return new Redaction([...found, ...planSecrets]);
}

function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  return SECRET_VARIABLES.map((name) => env[name]).filter((value): value is string => typeof value === 'string');
}

/** Read at once (a few hundred bytes), so that a failure reported before any work is masked too. */
function profileSecrets(env: NodeJS.ProcessEnv): string[] {
  const home = homedir();
  const found: string[] = [];
  for (const file of [env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config')]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no such file: nothing to hide
    }
    try {
      for (const section of parseIni(text, file).sections.values()) {
        for (const key of SECRET_PROFILE_KEYS) {
          const value = section.keys.get(key)?.value;
          if (value) found.push(value);
        }
      }
    } catch {
      // A file the SDK cannot read either gives it no keys to send, so none to echo.
    }
  }
  return found;
}
