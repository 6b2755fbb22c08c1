import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Where the nbtrack server extension mounts its REST API. */
export const API_NAMESPACE = 'nbtrack/api';

/**
 * An error reply of the nbtrack API: `{"error": type, "message": text}`, plus the
 * 0-based `position` of the problem when a filter does not parse.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly position: number | null = null
  ) {
    super(message);
  }
}

/** Query parameters; arrays become repeated parameters, empty values are dropped. */
export type Query = Record<string, string | number | string[] | undefined>;

let storeId = '';

/** Read another store the server offers (the sidebar's store switcher); '' = the server's own. */
export function setStoreId(id: string): void {
  storeId = id;
}

/** The store every request reads unless its query names one ('' = the server's own). */
export function getStoreId(): string {
  return storeId;
}

function apiUrl(endPoint: string, query: Query = {}): string {
  const settings = ServerConnection.makeSettings();
  const params = new URLSearchParams();
  if (storeId && !('store' in query)) {
    params.append('store', storeId);
  }
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== '') {
        params.append(key, String(item));
      }
    }
  }
  const text = params.toString();
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
  return text ? `${url}?${text}` : url;
}

async function send(
  endPoint: string,
  query: Query,
  init: RequestInit
): Promise<Response> {
  const settings = ServerConnection.makeSettings();
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      apiUrl(endPoint, query),
      init,
      settings
    );
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    const text = await response.text();
    let type = 'HTTPError';
    let message = text || response.statusText;
    let position: number | null = null;
    try {
      const body = JSON.parse(text);
      type = body.error ?? type;
      message = body.message ?? message;
      position = typeof body.position === 'number' ? body.position : null;
    } catch {
      // not JSON: keep the raw text
    }
    throw new ApiError(response.status, type, message, position);
  }
  return response;
}

/** Call the nbtrack REST API and parse the JSON reply (ApiError on a non-2xx status). */
export async function requestAPI<T>(
  endPoint: string,
  query: Query = {},
  init: RequestInit = {}
): Promise<T> {
  const response = await send(endPoint, query, init);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Fetch raw bytes (artifact downloads) with the same authentication as requestAPI. */
export async function requestBlob(
  endPoint: string,
  query: Query = {}
): Promise<Blob> {
  const response = await send(endPoint, query, {});
  return response.blob();
}
