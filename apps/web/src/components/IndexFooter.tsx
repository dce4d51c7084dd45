import type { IndexInfo } from '../graphql';

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The index behind the results: its FAISS type and its size in memory and on disk. */
export function IndexFooter({ index }: { index: IndexInfo }): React.JSX.Element {
  return (
    <footer className="index-footer" data-testid="index-footer">
      Index: {index.type} · {index.vectors.toLocaleString('en-US')} vectors · {mebibytes(index.memoryBytes)} in memory
      {index.fileBytes !== null && ` · ${mebibytes(index.fileBytes)} on disk`}
    </footer>
  );
}
