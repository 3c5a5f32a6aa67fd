import { registerEnumType } from 'type-graphql';
import { SendBatchSmsErrorCode } from '../send/send-batch-sms-error-code.enum';

/** Where a campaign is in its life. */
export const SmsCampaignState = { DRAFT: 'DRAFT', SENDING: 'SENDING', PAUSED: 'PAUSED', DONE: 'DONE', CANCELLED: 'CANCELLED' } as const;
export type SmsCampaignState = (typeof SmsCampaignState)[keyof typeof SmsCampaignState];

/** What became of one page. */
export const SmsCampaignPageState = {
  PENDING: 'PENDING',
  SENDING: 'SENDING',
  SENT: 'SENT',
  FAILED: 'FAILED',
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  CANCELLED: 'CANCELLED',
} as const;
export type SmsCampaignPageState = (typeof SmsCampaignPageState)[keyof typeof SmsCampaignPageState];

/** Why one target of a campaign was not sent. */
export const SmsCampaignFailureCode = {
  TARGET_REJECTED: 'TARGET_REJECTED',
  PAGE_REFUSED: 'PAGE_REFUSED',
  RATE_LIMITED: 'RATE_LIMITED',
} as const;
export type SmsCampaignFailureCode = (typeof SmsCampaignFailureCode)[keyof typeof SmsCampaignFailureCode];

/** Why a campaign call did not do what it asked: every send code, and the campaign's own. */
export const SmsCampaignErrorCode = {
  ...SendBatchSmsErrorCode,
  NOT_FOUND: 'NOT_FOUND',
  INVALID_STATE: 'INVALID_STATE',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
} as const;
export type SmsCampaignErrorCode = (typeof SmsCampaignErrorCode)[keyof typeof SmsCampaignErrorCode];

registerEnumType(SmsCampaignState, {
  name: 'SmsCampaignState',
  description: 'Where a campaign is in its life.',
  valuesConfig: {
    DRAFT: { description: 'Taking pages; nothing is sent. Expires CAMPAIGN_DRAFT_TTL_SECONDS after its creation unless started.' },
    SENDING: { description: 'Pages go out in page order at the shared pace (see blockedBy when the server holds it).' },
    PAUSED: { description: 'No page goes until resumeSmsCampaign (by a caller, or by the server: see blockedBy).' },
    DONE: { description: 'Every page has an outcome. Final.' },
    CANCELLED: { description: 'Stopped for good: pages not tried are CANCELLED. Final.' },
  },
});

registerEnumType(SmsCampaignPageState, {
  name: 'SmsCampaignPageState',
  description: 'What became of one page: one uSpeedo call at most.',
  valuesConfig: {
    PENDING: { description: 'Not tried yet.' },
    SENDING: { description: 'Being sent now.' },
    SENT: { description: 'uSpeedo accepted it (RetCode 0); some targets may still have failed.' },
    FAILED: { description: 'Nothing of it was sent: uSpeedo refused it, or this server had to skip all of it (see error).' },
    OUTCOME_UNKNOWN: { description: 'It may have been sent (a timeout, a lost connection, a crash mid-send). Never sent again.' },
    CANCELLED: { description: 'Never tried: the campaign was cancelled.' },
  },
});

registerEnumType(SmsCampaignFailureCode, {
  name: 'SmsCampaignFailureCode',
  description: 'Why one target of a campaign was not sent.',
  valuesConfig: {
    TARGET_REJECTED: { description: 'uSpeedo accepted its page but not this target (FailedTargetPhones).' },
    PAGE_REFUSED: { description: 'uSpeedo refused its whole page (or the page broke a rule at send time); nothing of it was sent.' },
    RATE_LIMITED: { description: 'Skipped: its number was over its hourly or daily limit when its page went.' },
  },
});

registerEnumType(SmsCampaignErrorCode, {
  name: 'SmsCampaignErrorCode',
  description:
    "Why a campaign call did not do what it asked: every SendBatchSmsErrorCode (with the send's meaning), and the campaign's own.",
  valuesConfig: {
    NOT_FOUND: { description: "No such campaign for this caller: unknown, another caller's, or a DRAFT that expired." },
    INVALID_STATE: { description: 'Not possible in its state: adding a page after start, starting twice, resuming a DONE campaign.' },
    LIMIT_EXCEEDED: { description: 'CAMPAIGN_MAX_RECIPIENTS or CAMPAIGNS_OPEN_PER_CALLER would be passed. Nothing was stored.' },
  },
});
