// A real runyard server for the tests: `python -m runyard serve` on free 127.0.0.1
// ports with a fresh SQLite file, stopped by its PID (never by name).
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

import { createRunyardClient } from "../src/index.js";
import { HealthCheckResponse_ServingStatus } from "../src/gen/grpc/health/v1/health_pb.js";

const execFileP = promisify(execFile);

/** The repository root (this file runs from clients/typescript/dist/test). */
export const REPO = resolve(fileURLToPath(import.meta.url), "../../../../..");
/** The Python with runyard installed (make sets it; the dev venv otherwise). */
export const PYTHON = resolve(process.env.RUNYARD_PYTHON ?? join(REPO, ".venv/bin/python"));

const STARTUP_POLLS = 300; // 100 ms apart: at most 30 s

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

export class RunyardServer {
  readonly dir = mkdtempSync(join(tmpdir(), "runyard-ts-"));
  readonly databaseUrl = `sqlite:///${join(this.dir, "runyard.db")}`;
  readonly log = join(this.dir, "runyard.log");
  grpcPort = 0;
  httpPort = 0;
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private spawnError: Error | undefined;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.grpcPort}`;
  }

  get httpBase(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** Starts the server (on the same ports as before when restarted) and waits until it serves. */
  async start(...extra: string[]): Promise<void> {
    if (this.grpcPort === 0) {
      this.grpcPort = await freePort();
      this.httpPort = await freePort();
    }
    const out = openSync(this.log, "a");
    const proc = spawn(
      PYTHON,
      ["-m", "runyard", "serve", "--database-url", this.databaseUrl,
        "--grpc-address", `127.0.0.1:${this.grpcPort}`,
        "--http-address", `127.0.0.1:${this.httpPort}`, ...extra],
      { cwd: this.dir, stdio: ["ignore", out, out], env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    );
    closeSync(out);
    this.proc = proc;
    this.exited = new Promise((ok) => {
      proc.once("exit", () => ok());
      proc.once("error", (err) => {
        this.spawnError = err;
        ok();
      });
    });
    await this.waitServing();
  }

  private async waitServing(): Promise<void> {
    const probe = createRunyardClient({ baseUrl: this.baseUrl, timeoutMs: 1000 });
    for (let i = 0; i < STARTUP_POLLS; i++) {
      if (this.spawnError || this.proc?.exitCode !== null) break;
      try {
        const reply = await probe.health.check({});
        const http = await fetch(`${this.httpBase}/v1/organizations/-/workspaces`).then(
          () => true,
          () => false,
        );
        if (reply.status === HealthCheckResponse_ServingStatus.SERVING && http) return;
      } catch {
        // not listening yet
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const tail = this.spawnError?.message ?? readFileSync(this.log, "utf8").slice(-3000);
    await this.kill();
    throw new Error(`runyard did not start:\n${tail}`);
  }

  /** SIGTERM by PID, SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
    this.proc = undefined;
  }

  /** SIGKILL by PID: the abrupt end of every open connection. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGKILL");
    await this.exited;
    this.proc = undefined;
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private tokens = new Map<string, Promise<string>>();

  /**
   * A token's secret for an organization and role, minted (once) with
   * `runyard tokens create`, which prints it alone on the last line of stdout.
   */
  token(organization: string, role = "admin"): Promise<string> {
    const key = `${organization}/${role}`;
    let secret = this.tokens.get(key);
    if (!secret) {
      secret = this.runyard(
        "tokens", "create", "--database-url", this.databaseUrl,
        "--organization", organization, "--role", role,
      ).then((out) => out.trim().split("\n").at(-1) ?? "");
      this.tokens.set(key, secret);
    }
    return secret;
  }

  /** Runs `python -m runyard ARGS` and returns its stdout. */
  async runyard(...args: string[]): Promise<string> {
    const { stdout } = await execFileP(PYTHON, ["-m", "runyard", ...args], { cwd: this.dir });
    return stdout;
  }

  /** Runs a Python helper from test/python with JSON in and out. */
  async python<T>(script: string, input: unknown): Promise<T> {
    const path = join(REPO, "clients/typescript/test/python", script);
    const { stdout } = await execFileP(PYTHON, [path, this.baseUrl.replace("http://", ""), JSON.stringify(input)], {
      cwd: REPO,
    });
    return JSON.parse(stdout) as T;
  }
}
