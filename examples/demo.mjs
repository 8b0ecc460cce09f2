#!/usr/bin/env node
// A short conversation, streamed to the terminal.
//
// With SESSION_TOKEN set it signs in with the environment's tokens (CLEARANCE_TOKEN, USER_AGENT
// and ACCESS_TOKEN too, when set) to the backend at CHATGPT_BASE_URL, ChatGPT by default: the
// variables `npx chatgpt test-backend` prints work as they are. Without SESSION_TOKEN it starts
// the bundled test backend on 127.0.0.1 and talks to that, so it runs anywhere with no credentials.
import { ChatGPTAPI, ChatGPTError } from 'chatgpt-kit'
import { createTestBackend } from 'chatgpt-kit/testing'

const env = process.env
const fromEnv = Boolean(env.SESSION_TOKEN)
const backend = fromEnv ? undefined : await createTestBackend({ eventDelayMs: 15 })
// The client takes the two halves of a backend (`…/api`, `…/backend-api`); the CLI's
// CHATGPT_BASE_URL names the host they share.
const baseUrl = fromEnv ? (env.CHATGPT_BASE_URL || 'https://chat.openai.com').replace(/\/+$/, '') : backend.url

const api = new ChatGPTAPI(
  fromEnv
    ? {
        sessionToken: env.SESSION_TOKEN,
        clearanceToken: env.CLEARANCE_TOKEN || undefined,
        // The clearance token is bound to the User-Agent that obtained it.
        userAgent: env.USER_AGENT || undefined,
        accessToken: env.ACCESS_TOKEN || undefined,
        apiBaseUrl: `${baseUrl}/api`,
        backendApiBaseUrl: `${baseUrl}/backend-api`
      }
    : {
        sessionToken: backend.sessionToken,
        clearanceToken: backend.clearanceToken,
        userAgent: backend.userAgent,
        apiBaseUrl: backend.apiBaseUrl,
        backendApiBaseUrl: backend.backendApiBaseUrl
      }
)

/** Prints a reply as it streams: onProgress gets the whole text so far, so print what is new. */
async function ask(conversation, prompt) {
  process.stdout.write(`\n> ${prompt}\n\n`)
  let printed = 0
  const reply = await conversation.sendMessage(prompt, {
    timeoutMs: 2 * 60 * 1000,
    onProgress: (partial) => {
      process.stdout.write(partial.slice(printed))
      printed = partial.length
    }
  })
  process.stdout.write(reply.slice(printed) + '\n')
}

try {
  await api.ensureAuth()
  const where = backend ? `the bundled test backend at ${baseUrl}` : baseUrl
  console.log(`Signed in as ${api.user?.name ?? 'unknown'} on ${where}.`)

  const conversation = api.getConversation()
  await ask(conversation, 'Write a haiku about TypeScript.')
  await ask(conversation, 'Now show it as code in a JavaScript string.')
  console.log(`\nconversation ${conversation.conversationId}, last message ${conversation.parentMessageId}`)
} catch (error) {
  console.error(error instanceof ChatGPTError ? `${error.code}: ${error.message}` : error)
  process.exitCode = 1
} finally {
  await backend?.close()
}
