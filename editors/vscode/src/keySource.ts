/**
 * The server names where a rejected key came from, but it only knows "the apiKey setting": in
 * VS Code that key is the one stored with "Codestral: Set API Key", in SecretStorage.
 */

export const STORED_KEY_SOURCE = 'VS Code\'s SecretStorage (set with "Codestral: Set API Key")';
const SERVER_WORDING = 'the apiKey setting';

/** `message` with the key source named as the user knows it, when the stored key was the one sent. */
export function nameKeySource(message: string, storedKeySent: boolean): string {
  return storedKeySent ? message.split(SERVER_WORDING).join(STORED_KEY_SOURCE) : message;
}
