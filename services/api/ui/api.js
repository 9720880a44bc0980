// Calls to the public API, and the errors it answers with, as messages a person can read.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }

  get readable() {
    const where = this.status ? `HTTP ${this.status}, ${this.code}` : this.code;
    return `${this.message} (${where})`;
  }
}

export async function api(path, { method = "GET", body, token, form } = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (form !== undefined) {
    payload = form;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload });
  } catch (exc) {
    throw new ApiError(0, "unreachable", `the API did not answer ${method} ${path}: ${exc.message}`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error;
    if (error && error.message) throw new ApiError(response.status, error.code, error.message, error.details);
    const detail = data && data.detail;
    const said = detail ? `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}` : text ? `: ${text.slice(0, 200)}` : "";
    throw new ApiError(response.status, `http_${response.status}`,
      `${method} ${path} answered ${response.status} ${response.statusText}${said}`);
  }
  return data;
}

// The operator token lives in this tab's sessionStorage only: never in the URL, never in localStorage.
const TOKEN_KEY = "musicrec.operator-token";
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || "",
  set: (value) => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY)),
};

// The tunable attributes and their ranges, as GET /v1/recommendations documents them.
let tunableCache = null;
export async function tunableAttributes() {
  if (tunableCache) return tunableCache;
  const spec = await api("/openapi.json");
  const parameters = spec.paths["/v1/recommendations"].get.parameters;
  const bounds = (schema) => {
    const options = schema.anyOf || [schema];
    const number = options.find((o) => o.type === "number" || o.type === "integer") || {};
    return {
      min: number.minimum ?? number.exclusiveMinimum ?? null,
      max: number.maximum ?? number.exclusiveMaximum ?? null,
      integer: number.type === "integer",
    };
  };
  tunableCache = parameters
    .filter((p) => p.name.startsWith("target_"))
    .map((p) => ({ name: p.name.slice(7), description: p.description || p.schema.description || "", ...bounds(p.schema) }));
  return tunableCache;
}
