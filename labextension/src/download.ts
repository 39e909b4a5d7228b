/** Hand text to the browser as a file download, without a round trip to the server. */
export function downloadText(filename: string, mimetype: string, content: string): void {
  const blob = new Blob([content], { type: mimetype || 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  // Left out of the document: a click that reached `document` would close the popup
  // this was started from, as popups close on any click outside themselves.
  a.click();
  // Revoke later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
