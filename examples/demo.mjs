#!/usr/bin/env node
// A short conversation, streamed to the terminal.
//
// With SESSION_TOKEN and CLEARANCE_TOKEN set (and USER_AGENT, the browser's, if it differs from
// the default) it talks to ChatGPT; otherwise it starts the bundled test backend on 127.0.0.1 and
// talks to that, so it runs anywhere with no credentials.
import { ChatGPTAPI, ChatGPTError } from 'chatgpt-kit'
import { createTestBackend } from 'chatgpt-kit/testing'

const live = Boolean(process.env.SESSION_TOKEN)
const backend = live ? undefined : await createTestBackend({ eventDelayMs: 15 })

const api = new ChatGPTAPI(
  live
    ? {
        sessionToken: process.env.SESSION_TOKEN,
        clearanceToken: process.env.CLEARANCE_TOKEN,
        userAgent: process.env.USER_AGENT || undefined
      }
    : {
        sessionToken: backend.sessionToken,
        clearanceToken: backend.clearanceToken,
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
  console.log(`Signed in as ${api.user?.name ?? 'unknown'} on ${live ? 'ChatGPT' : `the test backend at ${backend.url}`}.`)

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
