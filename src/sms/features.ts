import { campaignsFeature } from './campaigns/campaigns.feature';
import type { SmsFeature } from './feature';
import { followFeature } from './follow/follow.feature';
import { limitsFeature } from './limits/limits.feature';
import { lookupsFeature } from './lookups/lookups.feature';
import { previewFeature } from './preview/preview.feature';
import { sendFeature } from './send/send.feature';

/**
 * Every feature, in the order they are built: a feature may use the services of those before it (the
 * send and the preview check templates through the lookups; the follower reads through them). A new
 * feature is one line here.
 */
export const FEATURES: readonly SmsFeature[] = [
  lookupsFeature,
  sendFeature,
  previewFeature,
  followFeature,
  limitsFeature,
  campaignsFeature,
];
