// A port of the integration's extract.vrl, as Botpress runs it on every request to the global
// route: the identifier of the installation the request belongs to (the HubSpot portal), null when
// the request names none, or an error when the script fails (Botpress then routes the request
// nowhere). Kept line for line with the script; test/unit/extract-script.test.ts checks the two stay in step.
//
//   payload = parse_json!(string!(.body))
//   event = if is_array(payload) { get!(payload, [0]) } else { payload }
//   portal = get!(event, ["portalId"])
//   if portal == null { null } else { to_string!(portal) }
export class ExtractScriptError extends Error {
  public readonly name = 'ExtractScriptError'
}

// VRL's to_string: strings as they are, numbers and booleans written out, null as "".
const vrlToString = (value: unknown): string => {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new ExtractScriptError(`to_string: cannot convert ${Array.isArray(value) ? 'array' : 'object'} to string`)
}

// VRL's get: a path into objects and arrays; anything missing (or not indexable) is null.
const vrlGet = (value: unknown, path: (string | number)[]): unknown => {
  let current: unknown = value
  for (const step of path) {
    if (typeof step === 'number') current = Array.isArray(current) ? current[step] : undefined
    else {
      current =
        current !== null && typeof current === 'object' && !Array.isArray(current)
          ? (current as Record<string, unknown>)[step]
          : undefined
    }
    if (current === undefined) return null
  }
  return current
}

export const extractIdentifier = (request: { body?: string }): string | null => {
  if (typeof request.body !== 'string') throw new ExtractScriptError('string: .body is not a string')
  let payload: unknown
  try {
    payload = JSON.parse(request.body)
  } catch {
    throw new ExtractScriptError('parse_json: the body is not JSON')
  }
  const event = Array.isArray(payload) ? vrlGet(payload, [0]) : payload
  const portal = vrlGet(event, ['portalId'])
  return portal === null ? null : vrlToString(portal)
}
