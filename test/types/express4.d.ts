// Express 4 under an npm alias, for the adapter's tests on both majors; its API is Express 5's for what they use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
