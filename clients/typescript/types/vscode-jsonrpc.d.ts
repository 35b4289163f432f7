// The part of vscode-jsonrpc's API the wrapper uses, declared here so the wrapper type-checks
// without the package installed (it is a peer dependency; these signatures match its
// `MessageConnection`).
declare module "vscode-jsonrpc" {
  export interface Disposable {
    dispose(): void;
  }

  export type Event<T> = (listener: (event: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

  export type GenericNotificationHandler = (...params: any[]) => void;

  export interface MessageConnection {
    sendRequest<R>(method: string, ...params: any[]): Promise<R>;
    sendNotification(method: string, ...params: any[]): Promise<void>;
    onNotification(method: string, handler: GenericNotificationHandler): Disposable;
    onClose: Event<void>;
    listen(): void;
    dispose(): void;
  }
}
