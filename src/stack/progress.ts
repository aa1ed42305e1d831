/** Receives one line of progress for a person watching long work (starting servers, installing). */
export type Progress = (message: string) => void;

export const silent: Progress = () => {};
