import type * as sdk from '@botpress/sdk'
import { hitlInterfaceDefinition } from './definition'

export * from './definition'

const hitl = {
  type: 'interface',
  id: 'ifver_01K0STHY79Y0GFGFGDXXGQKDVE',
  uri: undefined,
  name: 'hitl',
  version: '2.0.0',
  definition: hitlInterfaceDefinition,
} satisfies sdk.InterfacePackage

export default hitl
