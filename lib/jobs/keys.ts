/**
 * The S3 key layout of a job, in one place: deterministic keys, so a retried stage finds what a
 * previous attempt left (and resumes) and the storage lifecycle rules can match prefixes.
 */
export const keys = {
  /** An upload's object: under its user, so a job can only name its own uploads. */
  uploadPrefix: (userId: string) => `uploads/${userId}/`,
  upload: (userId: string, id: string, name: string) => `uploads/${userId}/${id}/${name}`,
  source: (jobId: string) => `sources/${jobId}/source`,
  audio: (jobId: string) => `sources/${jobId}/audio.mp3`,
  transcript: (jobId: string) => `sources/${jobId}/transcript.json`,
  clipDir: (jobId: string, clipId: string) => `clips/${jobId}/${clipId}`,
  clipVideo: (jobId: string, clipId: string) => `clips/${jobId}/${clipId}/clip.mp4`,
  clipThumbnail: (jobId: string, clipId: string) => `clips/${jobId}/${clipId}/thumbnail.jpg`,
  clipSrt: (jobId: string, clipId: string) => `clips/${jobId}/${clipId}/captions.srt`,
  clipVtt: (jobId: string, clipId: string) => `clips/${jobId}/${clipId}/captions.vtt`,
  manifest: (jobId: string) => `clips/${jobId}/manifest.json`,
};
