import { useCallback, useEffect, useRef, useState } from 'react';
import { formatUrlState, parseUrlState, type UrlState } from './url';

/**
 * push: a new history entry (a search the user asked for). replace: change the current entry.
 * live: as-you-type; the first live change after a committed search pushes, the next ones replace that entry,
 * so back returns to the search before the typing started, not to every prefix typed.
 */
export type NavigateMode = 'push' | 'replace' | 'live';

export function useUrlState(onPopState?: () => void): [UrlState, (next: UrlState, mode: NavigateMode) => void] {
  const [state, setState] = useState<UrlState>(() => parseUrlState(window.location.search));
  const liveEntry = useRef(false);
  const onPopRef = useRef(onPopState);
  onPopRef.current = onPopState;

  useEffect(() => {
    const onPop = () => {
      liveEntry.current = false;
      setState(parseUrlState(window.location.search));
      onPopRef.current?.();
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((next: UrlState, mode: NavigateMode) => {
    const search = formatUrlState(next);
    if (search !== window.location.search) {
      const url = `${window.location.pathname}${search}${window.location.hash}`;
      if (mode === 'replace' || (mode === 'live' && liveEntry.current)) window.history.replaceState(null, '', url);
      else window.history.pushState(null, '', url);
    }
    liveEntry.current = mode === 'live';
    setState(parseUrlState(search));
  }, []);

  return [state, navigate];
}

/** A function that runs `callback` `delayMs` after its last call; `flush` runs a pending call now, `cancel` drops it. */
export function useDebounced<Args extends unknown[]>(
  callback: (...args: Args) => void,
  delayMs: number,
): { call: (...args: Args) => void; cancel: () => void; pending: () => boolean } {
  const callbackRef = useRef(callback);
  callbackRef.current = callback;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const cancel = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
  }, []);
  const call = useCallback(
    (...args: Args) => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        timer.current = undefined;
        callbackRef.current(...args);
      }, delayMs);
    },
    [delayMs],
  );
  const pending = useCallback(() => timer.current !== undefined, []);
  useEffect(() => cancel, [cancel]);
  return { call, cancel, pending };
}

/** Image files dropped anywhere on the page or pasted from the clipboard; `dragging` while files hover over the page. */
export function useImageDropAndPaste(onImage: (file: File) => void, enabled: boolean): { dragging: boolean } {
  const [dragging, setDragging] = useState(false);
  const onImageRef = useRef(onImage);
  onImageRef.current = onImage;

  useEffect(() => {
    if (!enabled) return undefined;
    let depth = 0;
    const hasFiles = (event: DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
    const onDragEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const onDragOver = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onDragLeave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = firstImage(Array.from(event.dataTransfer?.files ?? []));
      if (file) onImageRef.current(file);
      else if ((event.dataTransfer?.files.length ?? 0) > 0) onImageRef.current(event.dataTransfer!.files[0]!);
    };
    const onPaste = (event: ClipboardEvent) => {
      const items = Array.from(event.clipboardData?.items ?? []);
      const file = firstImage(items.filter((item) => item.kind === 'file').map((item) => item.getAsFile()).filter((f): f is File => f !== null));
      if (!file) return; // text pastes keep their default behaviour
      event.preventDefault();
      onImageRef.current(file);
    };
    window.addEventListener('dragenter', onDragEnter);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('drop', onDrop);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('dragenter', onDragEnter);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('paste', onPaste);
    };
  }, [enabled]);

  return { dragging };
}

function firstImage(files: File[]): File | undefined {
  return files.find((file) => file.type.startsWith('image/'));
}

export function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsDataURL(file);
  });
}
