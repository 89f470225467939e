// Walks HubSpot's `after` cursor until the last page (bounded, in case a cursor never ends).
const MAX_PAGES = 50

export type Page<T> = { results: T[]; paging?: { next?: { after: string } } }

export const collectPages = async <T>(fetchPage: (after?: string) => Promise<Page<T>>): Promise<T[]> => {
  const all: T[] = []
  let after: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await fetchPage(after)
    all.push(...response.results)
    after = response.paging?.next?.after
    if (!after) break
  }
  return all
}
