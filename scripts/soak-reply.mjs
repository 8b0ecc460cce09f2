/**
 * The reply the soak's test backend gives to a prompt, shared by the backend worker and the
 * script that checks every resolved reply against it. Short (eventDelayMs 0 keeps the run quick)
 * but with 2-, 3- and 4-byte UTF-8 characters, so chunking splits characters.
 */
export function soakReply(prompt) {
  return `Re ${prompt}: é 中文 😀 ok`
}
