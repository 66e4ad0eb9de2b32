/** The application version, written into every run record and report. Keep in step with package.json. */
export const APP_VERSION = '0.1.0'
export const APP_NAME = 'PopDyn Studio'
