// A thin client: everything (rules, config, fixes, docs) comes from `hardenify server`.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

// The files hardenify checks, by language and (for YAML and ignore files) by name, matching
// how `hardenify check` picks files; the server ignores anything else it is sent.
const DOCUMENTS: LanguageClientOptions["documentSelector"] = [
  { scheme: "file", language: "dockerfile" },
  { scheme: "untitled", language: "dockerfile" },
  { scheme: "file", language: "dockercompose" },
  { scheme: "file", language: "yaml", pattern: "**/{compose,docker-compose}*.{yml,yaml}" },
  { scheme: "file", pattern: "**/{Dockerfile,Containerfile,*.Dockerfile,Dockerfile.*,Containerfile.*}" },
  { scheme: "file", pattern: "**/{.dockerignore,*.dockerignore}" },
];

// The server's settings: the same names the server reads from `initializationOptions`
// and `workspace/didChangeConfiguration` (both `{"hardenify": {...}}`).
function serverSettings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration("hardenify");
  return {
    select: cfg.get<string[] | null>("select", null),
    ignore: cfg.get<string[]>("ignore", []),
    extendSelect: cfg.get<string[]>("extendSelect", []),
    configFile: cfg.get<string | null>("configFile", null),
  };
}

async function start(): Promise<void> {
  const cfg = vscode.workspace.getConfiguration("hardenify");
  const command = cfg.get<string>("path", "hardenify");
  const args = cfg.get<string[]>("args", ["server"]);
  // TransportKind.stdio makes the client add `--stdio`, which `hardenify server` accepts.
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENTS,
    initializationOptions: { hardenify: serverSettings() },
    synchronize: { configurationSection: "hardenify" },
  };
  client = new LanguageClient("hardenify", "hardenify", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(
      `hardenify: could not start \`${command} ${args.join(" ")}\` (${message}). ` +
        "Install it with pip install 'hardenify[lsp]' or set hardenify.path.",
    );
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    await running.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("hardenify.restart", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // A new executable needs a new process; rule settings reach the running server as
      // workspace/didChangeConfiguration through `synchronize`.
      if (e.affectsConfiguration("hardenify.path") || e.affectsConfiguration("hardenify.args")) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}
