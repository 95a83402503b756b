import type { Readable, Writable } from 'node:stream';

/** OpenSSH client options that offsite honours (from EC2_BACKUP_FLAGS_SSH or long flags). */
export interface SshOptions {
  /** -o HostName=…: connect here instead of the instance's address (the sandbox uses 127.0.0.1). */
  hostName?: string;
  /** -p PORT or -o Port=…; default 22. */
  port?: number;
  /** -l USER or -o User=…; default chosen by the caller (the AMI's user). */
  user?: string;
  /** -i FILE or -o IdentityFile=…, in order; ~ is expanded. */
  identityFiles: string[];
  /** -o UserKnownHostsFile=… (may be several, space-separated, like OpenSSH). */
  userKnownHostsFiles: string[];
  /** -o StrictHostKeyChecking=yes|no|accept-new|ask|off; undefined = not given. */
  strictHostKeyChecking?: 'yes' | 'no' | 'accept-new' | 'ask';
  /** -o ConnectTimeout=SECONDS. */
  connectTimeoutSeconds?: number;
}

/** A public host key as stored in known_hosts or the console's KEYS block. */
export interface HostPublicKey {
  /** OpenSSH key type, e.g. `ssh-ed25519`. */
  type: string;
  /** The key blob, base64 (the second field of a known_hosts line). */
  blobBase64: string;
}

/** What the host key must match; built by the host-key policy. */
export type HostKeyExpectation =
  /** SHA256 (base64, no padding) and/or MD5 (hex, colon separated) fingerprints from the console output. */
  | {
      kind: 'fingerprints';
      sha256: string[];
      md5: string[];
      source: string;
      /** OpenSSH host key algorithms the console listed, so the client asks for one of those first. */
      keyTypes?: string[];
      /** Keys marked `@revoked` in known_hosts: refused even if a fingerprint matches. */
      revoked?: HostPublicKey[];
    }
  /** Raw public keys (the key blob, base64) from a known_hosts file. */
  | {
      kind: 'known-keys';
      keys: HostPublicKey[];
      source: string;
      /** StrictHostKeyChecking=no: a different key is accepted with a warning (as OpenSSH does). */
      allowMismatch?: boolean;
      revoked?: HostPublicKey[];
    }
  /** Checking explicitly turned off by the user (StrictHostKeyChecking=no): accept anything, warn. */
  | { kind: 'unchecked'; revoked?: HostPublicKey[] };

/** The key a server presented, with the fingerprints an operator compares. */
export interface PresentedHostKey {
  type: string;
  blobBase64: string;
  /** SHA256 fingerprint, base64 without padding (OpenSSH prints it after `SHA256:`). */
  sha256: string;
  /** MD5 fingerprint, lower-case hex pairs separated by colons. */
  md5: string;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** Data to send on stdin; the channel's stdin is closed afterwards. */
  stdin?: Readable | string | Buffer;
  /** Prefix the command with `sudo -n` when the remote user is not root. Default false. */
  sudo?: boolean;
}

/** A live, host-key-verified SSH session to the instance. */
export interface SshSession {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  /** The host key the server presented and that passed the host-key policy (for reports). */
  readonly hostKey?: PresentedHostKey;
  /** Run a command (a shell command line) to completion and collect its output. Rejects only on transport failure/abort. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Start a command and hand back its streams, for transfers: the caller writes stdin and reads stdout.
   * `done` resolves with the exit status when the channel closes; it rejects if the connection drops.
   */
  spawn(command: string, options?: { signal?: AbortSignal; sudo?: boolean }): RemoteProcess;
  close(): Promise<void>;
}

export interface RemoteProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  done: Promise<{ code: number | null; signal?: string }>;
}
