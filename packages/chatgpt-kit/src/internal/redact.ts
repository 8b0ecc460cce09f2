/**
 * Server text made fit for a one-line message. Secrets are taken out later, in one place
 * (`secrets.ts`), before the message is cut to its final length: cutting first could leave half
 * a token that no redaction would then recognise.
 */

/**
 * How much server text a message may carry before redaction. Far more than the final message
 * keeps ({@link MAX_MESSAGE_CHARS}), so that a token cut here is always cut away there.
 */
export const MAX_SERVER_TEXT_CHARS = 4096

/**
 * Control characters become spaces and the length is capped, so a hostile body cannot flood a
 * log or forge log lines.
 */
export function oneLine(text: string, maxLength = MAX_SERVER_TEXT_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const line = text.slice(0, maxLength * 2).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return line.length > maxLength ? `${line.slice(0, maxLength)}…` : line
}
