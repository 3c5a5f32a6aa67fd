import { readTemplates, type TemplateRecord } from './lookup-records';
import { RetCode, USPEEDO_PATHS } from './uspeedo.types';
import type { UspeedoRead } from './uspeedo-read';

/** The templates the simulator knows; any other id is not found. */
const SIMULATED_TEMPLATES = [
  {
    TemplateId: 'template_id_1',
    Purpose: 1,
    TemplateName: 'Verification code',
    Template: 'Your verification code is {1}. It expires in 5 minutes.',
    Status: 2,
  },
  {
    TemplateId: 'template_notice_2',
    Purpose: 2,
    TemplateName: 'Order shipped',
    Template: 'Hello {1}, your order {2} has shipped.',
    Status: 2,
  },
  { TemplateId: 'template_review_3', Purpose: 3, TemplateName: 'Weekly offer', Template: '{1}: 20% off this week only.', Status: 1 },
].map((template) => ({ ...template, CreateTime: 1_767_225_600 }));

/**
 * USMSTemplate, `GET ?id=T1&id=T2`: templates by id. The simulator answers TEMPLATE_NOT_FOUND for the
 * whole lookup when any id asked is unknown, without saying which, as uSpeedo does (see
 * `isTemplateNotFound`).
 */
export const templatesRead: UspeedoRead<Map<string, TemplateRecord>> = {
  operation: 'templates',
  path: USPEEDO_PATHS.templates,
  read: readTemplates,
  simulate(query) {
    const ids = query.getAll('id');
    const found = SIMULATED_TEMPLATES.filter((template) => ids.includes(template.TemplateId));
    if (found.length < new Set(ids).size) return { RetCode: RetCode.TEMPLATE_NOT_FOUND, Message: 'Template not found (simulated)' };
    return { RetCode: RetCode.SUCCESS, Message: 'success', Data: found };
  },
};
