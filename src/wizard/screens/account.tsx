import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { SelectList, type Choice } from '../components/select-list.js';
import { useDraft } from '../draft.js';
import type { AwsChoice, AwsSettings, WizardServices } from '../services.js';

/**
 * Which AWS profile and region: the profiles of ~/.aws/config and ~/.aws/credentials, then the regions. The first
 * answer of each keeps the environment's (no flag); any other goes on the command line as --profile / --region.
 */
export function AccountScreen(props: { services: WizardServices; onDone: (aws: AwsChoice) => void; onBack: () => void }) {
  const [settings, setSettings] = useState<AwsSettings | undefined>();
  const [profile, setProfile] = useDraft<string | undefined | null>('account-profile', null);
  useEffect(() => {
    const read = props.services.awsSettings;
    if (!read) return setSettings({ profiles: [], regions: [] });
    read().then(setSettings, () => setSettings({ profiles: [], regions: [] }));
  }, []);
  if (!settings) return <Text dimColor>reading your AWS profiles …</Text>;
  const picked = profile === null ? undefined : settings.profiles.find((p) => p.name === profile);
  if (profile === null) {
    const choices: Choice<string | undefined>[] = [
      { value: undefined, label: settings.envProfile ? `AWS_PROFILE (${settings.envProfile})` : 'The default credentials', hint: 'as the environment sets them: no --profile' },
      ...settings.profiles.map((p) => ({ value: p.name, label: p.name, hint: p.region ? `region ${p.region}` : 'no region of its own' })),
    ];
    return (
      <Box flexDirection="column">
        <Text bold>Which AWS profile?</Text>
        <SelectList choices={choices} onSelect={(name) => setProfile(name)} onBack={props.onBack} memory="account-profile-cursor" />
        <Text dimColor>Enter chooses, Esc goes back</Text>
      </Box>
    );
  }
  const fallback = picked?.region ? `the profile's region (${picked.region})` : settings.envRegion ? `AWS_REGION (${settings.envRegion})` : "the profile's region";
  const choices: Choice<string | undefined>[] = [
    { value: undefined, label: fallback, hint: 'no --region' },
    ...settings.regions.map((region) => ({ value: region, label: region })),
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Which region?</Text>
      <Text dimColor>{`profile: ${profile ?? 'the default'}`}</Text>
      <SelectList
        choices={choices}
        onSelect={(region) => props.onDone({ ...(profile ? { profile } : {}), ...(region ? { region } : {}) })}
        onBack={() => setProfile(null)}
        memory="account-region-cursor"
      />
      <Text dimColor>Enter chooses, Esc goes back to the profiles</Text>
    </Box>
  );
}
