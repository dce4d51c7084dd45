interface ImportMetaEnv {
  /** Where the API lives when it is not the page's own origin (e.g. http://127.0.0.1:4000); default: same origin. */
  readonly VITE_SIS_API_URL?: string;
}
