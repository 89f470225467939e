// HTML escaping for the stand-ins' pages (HubSpot's install page and inbox, Botpress's interstitial).
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
