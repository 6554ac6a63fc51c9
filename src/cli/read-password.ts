import { stdin, stderr } from 'node:process'

/** Everything on standard input, without the final newline (`--password-stdin`). */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/**
 * Ask for a password on the terminal without echoing it, twice to catch a typo. Refuses when
 * standard input is not a terminal: scripts use --password-stdin instead.
 */
export async function promptNewPassword(): Promise<string> {
  if (!stdin.isTTY)
    throw new Error('no terminal to ask for a password on: pipe it in with --password-stdin')
  const first = await promptHidden('Password: ')
  const second = await promptHidden('Repeat password: ')
  if (first !== second) throw new Error('the passwords do not match')
  return first
}

function promptHidden(prompt: string): Promise<string> {
  stderr.write(prompt)
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  let value = ''
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (data: string) => {
      for (const char of data) {
        if (char === '\r' || char === '\n') return finish()
        if (char === '\u0003') return finish(new Error('cancelled'))
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1)
        else if (char >= ' ') value += char
      }
    }
    stdin.on('data', onData)
  })
}
