import { SERVICE_TITLES, type ServiceName } from '../../core/export/service.js';
import type { JobAction } from '../job-answers.js';
import { ChoiceScreen } from '../screens/choice.js';
import { ExportDeviceScreen } from '../screens/export-device.js';
import { ExportJobsScreen, JobReviewScreen } from '../screens/export-jobs.js';
import { ExportManifestScreen } from '../screens/export-manifest.js';
import { ExportReviewScreen } from '../screens/export-review.js';
import type { Flow } from './nav.js';

/** Ship a disk: prepare one for a new job, or follow, cancel or label the jobs that exist. */
export const exportFlow: Flow = (step, nav) => {
  const { services, aws } = nav;
  switch (step.name) {
    case 'export-kind':
      return (
        <ChoiceScreen<'create' | 'existing'>
          title="A new job or one you have?"
          memory="export-kind"
          choices={[
            { value: 'create', label: 'Create a job and prepare its disk', hint: 'validate the manifest first (--dry-run), then erase and prepare the disk' },
            { value: 'existing', label: 'My existing jobs', hint: 'their state now (or watched live), the list, cancel, the shipping label' },
          ]}
          onBack={nav.back}
          onDone={(kind) => nav.go(kind === 'create' ? { name: 'export-create-service' } : { name: 'account', mode: { kind: 'export' } })}
        />
      );
    case 'export-create-service':
      return (
        <ChoiceScreen<ServiceName>
          title="Which service?"
          memory="export-create-service"
          choices={[
            { value: 'importexport', label: `${SERVICE_TITLES.importexport}: a disk you prepare and ship`, hint: 'retired; the disk is erased, formatted and signed' },
            { value: 'snowball', label: `${SERVICE_TITLES.snowball}: an appliance AWS ships to you`, hint: 'closed to new customers; --service snowball, in the region you choose' },
          ]}
          onBack={nav.back}
          onDone={(service) => nav.go(service === 'importexport' ? { name: 'export-manifest' } : { name: 'account', mode: { kind: 'export', create: 'snowball' } })}
        />
      );
    case 'export-manifest':
      return <ExportManifestScreen services={services} onBack={nav.back} onDone={(manifest) => nav.go({ name: 'export-device', manifest })} />;
    case 'export-device':
      return <ExportDeviceScreen services={services} onBack={nav.back} onDone={(device) => nav.go({ name: 'export-review', manifest: step.manifest, device })} />;
    case 'export-review':
      return (
        <ExportReviewScreen answers={{ manifest: step.manifest, ...(step.device ? { device: step.device } : {}) }} onBack={nav.back} onConfirm={nav.finish} />
      );
    case 'export-service':
      return (
        <ChoiceScreen<ServiceName>
          title="Which service holds the jobs?"
          memory="export-service"
          choices={[
            { value: 'importexport', label: SERVICE_TITLES.importexport, hint: 'retired; legacy jobs only' },
            { value: 'snowball', label: SERVICE_TITLES.snowball, hint: 'closed to new customers; --service snowball' },
          ]}
          onBack={nav.back}
          onDone={(service) => nav.go({ name: 'export-jobs', service })}
        />
      );
    case 'export-jobs':
      return (
        <ExportJobsScreen
          services={services}
          service={step.service}
          aws={aws}
          onBack={nav.back}
          onDone={(pick) =>
            nav.go(pick.kind === 'list' ? { name: 'export-job-review', service: step.service, action: { kind: 'list' } } : { name: 'export-action', service: step.service, job: pick.job })
          }
        />
      );
    case 'export-action': {
      const jobId = step.job.jobId;
      return (
        <ChoiceScreen<JobAction | 'label'>
          title={`What about ${jobId}?`}
          memory="export-action"
          choices={[
            { value: { kind: 'status', jobId, watch: true }, label: 'Watch its state live', hint: 'poll and show each new state until it is over (--watch)' },
            { value: { kind: 'status', jobId, watch: false }, label: 'Its state now' },
            { value: 'label', label: 'Its shipping label', hint: 'needs the manifest the job was created from' },
            {
              value: { kind: 'cancel', jobId },
              label: 'Cancel it',
              ...(step.job.cancelled || step.job.state === 'Cancelled' ? { disabledReason: 'already cancelled' } : {}),
            },
          ]}
          onBack={nav.back}
          onDone={(action) =>
            nav.go(action === 'label' ? { name: 'export-label-manifest', service: step.service, jobId } : { name: 'export-job-review', service: step.service, action })
          }
        />
      );
    }
    case 'export-label-manifest':
      return (
        <ExportManifestScreen
          services={services}
          title={`The manifest of ${step.jobId}?`}
          onBack={nav.back}
          onDone={(manifest) => nav.go({ name: 'export-job-review', service: step.service, action: { kind: 'label', jobId: step.jobId, manifest } })}
        />
      );
    case 'export-job-review':
      return <JobReviewScreen answers={{ service: step.service, action: step.action, aws }} onBack={nav.back} onConfirm={nav.finish} />;
    default:
      return undefined;
  }
};
