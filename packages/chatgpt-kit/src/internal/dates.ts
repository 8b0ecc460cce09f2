/** The backend writes times as Unix seconds (conversation trees) or ISO strings (lists). */
export function toDate(value: unknown): Date | undefined {
  let date: Date | undefined
  if (typeof value === 'number' && Number.isFinite(value)) date = new Date(value * 1000)
  else if (typeof value === 'string' && value !== '') date = new Date(value)
  return date && !Number.isNaN(date.getTime()) ? date : undefined
}
