import { BotpressApiError, errorTypeForStatus, type BotpressErrorType } from './errors'

export type FaultSpec = {
  /** HTTP method to match (any when absent). */
  method?: string
  /** Exact path, or a pattern tested on the path (without query); any when absent. */
  path?: RegExp | string
  status: number
  /** How many matching calls fail. */
  count: number
  /** Error type of the body; derived from the status when absent (429 → RateLimited, 5xx → Internal…). */
  type?: BotpressErrorType
  message?: string
  /** Extra response headers, e.g. `{ 'retry-after': '0' }` so the SDK's retries do not wait. */
  headers?: Record<string, string>
}

export type InjectedFault = {
  readonly spec: FaultSpec
  /** Matching calls still to fail. */
  readonly remaining: number
}

class ArmedFault implements InjectedFault {
  public remaining: number
  public constructor(public readonly spec: FaultSpec) {
    this.remaining = spec.count
  }

  public matches(method: string, path: string): boolean {
    if (this.remaining <= 0) return false
    if (this.spec.method !== undefined && this.spec.method.toUpperCase() !== method.toUpperCase()) return false
    if (this.spec.path === undefined) return true
    return typeof this.spec.path === 'string' ? this.spec.path === path : this.spec.path.test(path)
  }
}

/** Makes the next N matching runtime API calls fail with Botpress-shaped errors. Faults are consumed in injection order. */
export class FaultInjector {
  private faults: ArmedFault[] = []

  public inject(spec: FaultSpec): InjectedFault {
    const fault = new ArmedFault(spec)
    this.faults.push(fault)
    return fault
  }

  public clear(): void {
    this.faults = []
  }

  /** Faults that still have calls to fail. */
  public get pending(): InjectedFault[] {
    return this.faults.filter((fault) => fault.remaining > 0)
  }

  /** Consumes one matching fault and returns the error to answer with, if any. */
  public take(method: string, path: string): BotpressApiError | undefined {
    const fault = this.faults.find((candidate) => candidate.matches(method, path))
    if (!fault) return undefined
    fault.remaining -= 1
    this.faults = this.faults.filter((candidate) => candidate.remaining > 0)
    const { status, type, message, headers } = fault.spec
    return new BotpressApiError(
      status,
      type ?? errorTypeForStatus(status),
      message ?? `Injected fault: ${method} ${path} answered ${status}`,
      headers
    )
  }
}
